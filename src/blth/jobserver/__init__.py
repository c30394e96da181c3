"""The warm job server: on a local run, workflow jobs hand their work to a process that has
imported torch and blth once, instead of paying those imports (2–5 s) in every job.

The workflow starts the server on a local run (:class:`launcher.Launcher`) and puts its socket
in :data:`SOCKET_ENV`. Each script's first statement, :func:`hand_over`, sends the job to the
server, which forks a child that runs the same script with the job's working directory,
environment and standard streams; the job's process waits and exits with the child's status, and
a signal it receives (Snakemake cancelling the job) is passed on. Without a server (a cluster
node, ``--sdm conda``, ``BLTH_JOB_SERVER=off``) the script simply runs in its own process.
How a job is executed is not part of its code fingerprint (:mod:`blth.config.fingerprint`).
"""

from blth.jobserver.client import hand_over
from blth.jobserver.protocol import OFF, SOCKET_ENV

__all__ = ["OFF", "SOCKET_ENV", "hand_over"]
