"""Scheduled jobs (:mod:`netctl.schedule.jobs`) and the long-running scheduler (:mod:`netctl.schedule.scheduler`)."""
