"""scm_torch: sCM-TS's networks, objectives and training loop in PyTorch, for training the run folders that
`scm` writes, on GPUs and across machines with torch.distributed. See python/README.md."""
