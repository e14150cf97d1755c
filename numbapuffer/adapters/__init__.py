"""The faces numbapuffer shows other libraries: gymnasium, PettingZoo, PufferLib, Stable-Baselines3."""
