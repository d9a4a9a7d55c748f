"""A Keras-style memory network written for these tests (the "well-known example"), a renamed
copy of it, and unrelated code to host the copy in a larger file."""

from __future__ import annotations

MODEL = '''\
from tensorflow import keras
from tensorflow.keras import layers


def build_memory_network(vocab_size, story_maxlen, query_maxlen, embed_dim=64, dropout=0.3):
    """End-to-end memory network for question answering over short stories."""
    story_in = keras.Input(shape=(story_maxlen,), dtype="int32", name="story")
    question_in = keras.Input(shape=(query_maxlen,), dtype="int32", name="question")

    memory_encoder = keras.Sequential(name="memory_encoder")
    memory_encoder.add(layers.Embedding(input_dim=vocab_size, output_dim=embed_dim))
    memory_encoder.add(layers.Dropout(dropout))

    context_encoder = keras.Sequential(name="context_encoder")
    context_encoder.add(layers.Embedding(input_dim=vocab_size, output_dim=query_maxlen))
    context_encoder.add(layers.Dropout(dropout))

    question_encoder = keras.Sequential(name="question_encoder")
    question_encoder.add(layers.Embedding(input_dim=vocab_size, output_dim=embed_dim,
                                          input_length=query_maxlen))
    question_encoder.add(layers.Dropout(dropout))

    story_memory = memory_encoder(story_in)
    story_context = context_encoder(story_in)
    question_encoded = question_encoder(question_in)

    match = layers.dot([story_memory, question_encoded], axes=(2, 2))
    match = layers.Activation("softmax")(match)

    response = layers.add([match, story_context])
    response = layers.Permute((2, 1))(response)

    answer = layers.concatenate([response, question_encoded])
    answer = layers.LSTM(32)(answer)
    answer = layers.Dropout(dropout)(answer)
    answer = layers.Dense(vocab_size)(answer)
    answer = layers.Activation("softmax")(answer)

    model = keras.Model([story_in, question_in], answer, name="memory_network")
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def train_memory_network(model, train_stories, train_questions, train_answers,
                         test_stories, test_questions, test_answers, epochs=120):
    history = model.fit([train_stories, train_questions], train_answers, batch_size=32,
                        epochs=epochs,
                        validation_data=([test_stories, test_questions], test_answers))
    loss, accuracy = model.evaluate([test_stories, test_questions], test_answers, verbose=0)
    if accuracy < 0.5:
        print("the memory network did not learn the task: accuracy", accuracy)
    return history, loss, accuracy
'''

_RENAMES = {
    "build_memory_network": "make_qa_model", "train_memory_network": "fit_qa_model",
    "story_in": "s_input", "question_in": "q_input", "memory_encoder": "enc_m",
    "context_encoder": "enc_c", "question_encoder": "enc_q", "story_memory": "m",
    "story_context": "c", "question_encoded": "u", "match": "p", "response": "o",
    "answer": "out", "vocab_size": "n_words", "story_maxlen": "len_s", "query_maxlen": "len_q",
    "embed_dim": "dim", "dropout": "drop", "history": "hist", "accuracy": "acc",
    "train_stories": "xs", "train_questions": "xq", "train_answers": "y",
    "test_stories": "txs", "test_questions": "txq", "test_answers": "ty",
}


def renamed_model() -> str:
    """MODEL with every name it binds changed, comments added and its docstring gone."""
    text = MODEL.replace('    """End-to-end memory network for question answering over short '
                         'stories."""\n', "    # my model\n")
    for old, new in sorted(_RENAMES.items(), key=lambda item: -len(item[0])):
        text = text.replace(old, new)
    return text


HOST_BEFORE = '''\
import argparse
import json
import os
import random
import tarfile

import numpy as np


def read_tasks(archive_path, task_name):
    """Stories, questions and answers of one task from the archive."""
    with tarfile.open(archive_path) as archive:
        member = archive.extractfile(f"tasks/{task_name}_train.txt")
        lines = member.read().decode("utf-8").splitlines()
    samples, story = [], []
    for raw in lines:
        number, text = raw.split(" ", 1)
        if int(number) == 1:
            story = []
        if "\\t" in text:
            question, answer, _support = text.split("\\t")
            samples.append((list(story), question.split(), answer))
        else:
            story.append(text.rstrip(".").split())
    return samples


def build_vocabulary(samples):
    words = set()
    for story, question, answer in samples:
        for sentence in story:
            words.update(sentence)
        words.update(question)
        words.add(answer)
    return {word: position + 1 for position, word in enumerate(sorted(words))}


def vectorize(samples, vocabulary, story_length, question_length):
    stories = np.zeros((len(samples), story_length), dtype="int32")
    questions = np.zeros((len(samples), question_length), dtype="int32")
    answers = np.zeros(len(samples), dtype="int32")
    for row, (story, question, answer) in enumerate(samples):
        flat = [vocabulary[w] for sentence in story for w in sentence][-story_length:]
        stories[row, story_length - len(flat):] = flat
        asked = [vocabulary[w] for w in question][-question_length:]
        questions[row, question_length - len(asked):] = asked
        answers[row] = vocabulary[answer]
    return stories, questions, answers

'''

HOST_AFTER = '''

def split_samples(samples, share, seed):
    shuffled = list(samples)
    random.Random(seed).shuffle(shuffled)
    cut = int(len(shuffled) * share)
    return shuffled[cut:], shuffled[:cut]


def save_results(folder, results):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "results.json"), "w", encoding="utf-8") as handle:
        json.dump(results, handle, indent=2, sort_keys=True)


def parse_arguments():
    parser = argparse.ArgumentParser(description="Question answering on the bAbI tasks.")
    parser.add_argument("--archive", default="data/babi.tar.gz")
    parser.add_argument("--task", default="qa1_single-supporting-fact")
    parser.add_argument("--epochs", type=int, default=120)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="results")
    return parser.parse_args()


def main():
    arguments = parse_arguments()
    random.seed(arguments.seed)
    np.random.seed(arguments.seed)
    samples = read_tasks(arguments.archive, arguments.task)
    vocabulary = build_vocabulary(samples)
    train, test = split_samples(samples, 0.2, arguments.seed)
    story_length = max(sum(len(s) for s in story) for story, _, _ in samples)
    question_length = max(len(question) for _, question, _ in samples)
    train_arrays = vectorize(train, vocabulary, story_length, question_length)
    test_arrays = vectorize(test, vocabulary, story_length, question_length)
    model = make_qa_model(len(vocabulary) + 1, story_length, question_length)
    _hist, loss, acc = fit_qa_model(model, *train_arrays, *test_arrays, epochs=arguments.epochs)
    save_results(arguments.out, {"loss": loss, "accuracy": acc, "task": arguments.task})


if __name__ == "__main__":
    main()
'''


def host_with_copy() -> tuple[str, int, int]:
    """A larger training script with the renamed model inside: (text, first, last model line)."""
    copied = renamed_model().split("\n", 3)[3]  # the imports are the host's own
    text = HOST_BEFORE.replace("import numpy as np\n", "import numpy as np\nfrom tensorflow "
                               "import keras\nfrom tensorflow.keras import layers\n") + copied
    first = text.count("\n", 0, text.index("def make_qa_model")) + 1
    text += HOST_AFTER
    return text, first, first + copied.count("\n") - 1
