"""Production plans, their runs, the job queue and the characters that run the jobs."""
