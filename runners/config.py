"""The ``[runner]`` table: how notebooks are executed, and within which limits.

Everything here comes from the maintainers' config.toml, never from a submission.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SlurmConfig(BaseModel):
    """The ``[runner.slurm]`` table: where and how the runs of a review are submitted."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    partition: str = Field("", description="sbatch --partition (empty: the cluster's default)")
    account: str = Field("", description="sbatch --account (empty: the user's default)")
    qos: str = Field("", description="sbatch --qos (empty: the account's default)")
    scratch_dir: str = Field("", description="a folder every node sees (shared filesystem) "
                                             "for the runs' copies and results; empty: "
                                             "REVIEWBOT_DATA_DIR/slurm")
    gpus_per_task: int = Field(1, ge=0, description="GPUs per run (--gres=gpu:N; 0 = CPU only)")
    time_margin_s: float = Field(300.0, ge=0, description="added to notebook_timeout_s for "
                                                          "sbatch --time (copying, startup)")
    memory_margin_mb: int = Field(1024, ge=0, description="added to memory_mb for sbatch --mem "
                                                          "(the runner's own processes)")
    requeue: int = Field(2, ge=0, description="times a run is submitted again after a node "
                                              "failure or a preemption")
    poll_s: float = Field(10.0, gt=0, description="seconds between two looks at the job's state")
    python: str = Field("", description="the Python with reviewbot installed on the nodes "
                                        "(empty: the submitting worker's own)")
    max_result_bytes: int = Field(50_000_000, gt=0, description="a task's result or executed "
                                                                "notebook larger is refused")
    extra_args: list[str] = Field(default_factory=list, description="more sbatch options, "
                                                                    "e.g. [\"--constraint=a100\"]")


class RunnerConfig(BaseModel):
    """Runs per submission, seeds, per-run limits and the kernel's environment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    runs: int = Field(3, ge=1, le=100, description="notebook runs per submission, one seed each")
    seeds: list[int] = Field(default_factory=lambda: [0, 1, 2],
                             description="seed of each run; runs beyond the list count up from "
                                         "the last seed")
    cell_timeout_s: float = Field(1800.0, gt=0, description="seconds one cell may run")
    notebook_timeout_s: float = Field(7200.0, gt=0, description="seconds one whole run may take")
    memory_mb: int = Field(8192, ge=0, description="memory of the whole sandbox in MiB (its "
                                                   "cgroup, in-memory files included), and the "
                                                   "address-space limit of each process on "
                                                   "CPU-only runs (0 = none)")
    max_processes: int = Field(1024, ge=0, description="processes and threads the sandbox may "
                                                       "hold (its cgroup's pids limit; 0 = none)")
    disk_mb: int = Field(10240, ge=0, description="MiB the run may keep in its folder (the "
                                                  "scratch copy and HOME) and write to one file "
                                                  "(0 = none)")
    tmp_mb: int = Field(1024, gt=0, description="size in MiB of the sandbox's /tmp and of its "
                                                "/dev/shm (in-memory, each)")
    max_output_bytes: int = Field(20_000_000, gt=0, description="bytes of cell output a run may "
                                                                "print before it is stopped")
    max_copy_file_bytes: int = Field(200_000_000, gt=0, description="files larger are left out "
                                                                     "of the run's scratch copy")
    environment: Literal["runner", "requirements"] = Field(
        "runner", description="kernel Python: the runner's own, or a virtual environment built "
                              "from the submission's requirements.txt")
    parameters: dict[str, int | float | str | bool] = Field(
        default_factory=dict, description="overrides injected into every run besides the seed "
                                          "(e.g. epochs = 5 for a shortened budget)")
    gpu: bool = Field(True, description="pass NVIDIA devices into the sandbox when present")
    concurrency: int = Field(1, ge=1, le=64, description="runs at the same time; with several "
                             "GPUs each run gets exactly one")
    backend: Literal["local", "slurm"] = Field(
        "local", description="where runs execute: this machine, or a Slurm cluster (one job "
                             "array per review, configured in [runner.slurm])")
    slurm: SlurmConfig = Field(default_factory=SlurmConfig)

    def seed_for(self, run: int) -> int:
        """Seed of the run numbered ``run`` (from 0)."""
        if run < len(self.seeds):
            return self.seeds[run]
        last = self.seeds[-1] if self.seeds else -1
        return last + run - len(self.seeds) + 1
