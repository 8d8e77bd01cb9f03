"""`make eval` (`python -m eval`): how well the trained model understands messages it was never trained on.

eval/nlu_eval.py holds the metrics and the run; eval/__main__.py is the command.
"""
