"""partnerbot's rules engine: the Solutions Partner Program's rules over a SQL database.

Pure Python, no chat and no Rasa: every verdict, number and explanation partnerbot
gives comes from here. Numbers live in dated parameter files (`rules/parameters/`),
texts in `rules/texts/`, each rule is a small named function in its own module.
"""
