"""L4, files: the results folder (one atomic writer), its documents, baselines."""
