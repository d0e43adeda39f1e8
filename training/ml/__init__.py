"""The model, as plain functions without Django: backbone embeddings, the classifier head,
patch-to-image aggregation, nested cross-validation, metrics and the saved artifact."""
