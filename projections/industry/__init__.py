"""Read models of production plans (``plans``), plan runs (``runs``), the job queue (``jobs``),
the jobs the game reports (``game_jobs``) and characters (``characters``), kept by one
projection (``projection``) since a plan's or run's deletion and a job's status change reach
across them; the jobs board and the busy slots (``board``) read the queue and the game's jobs
together."""
