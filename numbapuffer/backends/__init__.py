"""Vectorization backends over native envs: serial, multiprocessing (shared memory), Ray;
numbapuffer.vector.make picks one."""
