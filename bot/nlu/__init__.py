"""Custom NLU components: language detection, bilingual spaCy tokenisation and spaCy pattern entities."""
