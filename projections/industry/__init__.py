"""Read models of production plans (``plans``), plan runs (``runs``), the job queue (``jobs``)
and characters (``characters``), kept by one projection (``projection``) since a plan's or
run's deletion and a job's status change reach across them."""
