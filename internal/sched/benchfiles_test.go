package sched_test

func removeBenchFiles() {}
