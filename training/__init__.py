"""What makes and judges models: fine-tuning, ONNX export and the backend check, evaluation and its
reports, the merge of new rows, the promotion gate, retraining, and the pipeline that registers a
version. It builds on the runtime (`stance/`) and never on the service or the CLI.
"""
