"""What a person runs: the command line, human play, benchmarks, check_env."""
