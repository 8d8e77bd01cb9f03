"""Email triage for the partner team (`partnerbot triage PATH --out DIR`, contract §5).

How a message goes through it, module by module:

- mailboxes: the messages of an .eml file, a folder, an mbox or a Maildir, read only;
- reading (with charsets and html_text): headers, and the text of the body whatever its
  MIME structure, charset declaration or HTML; attachments skipped;
- cleaning: the sender's own words apart from quoted replies, signatures and forwards;
- mentions: the domains it talks about;
- understanding: topic and intent from the trained NLU model, loaded in this process;
- leads: lead checks with the rules engine, as the sender's partner or neutral;
- review: whether a person must see it (disputes, low confidence, errors);
- drafting: the reply in the sender's language, and the .eml reply;
- run (with progress): DIR/triage.jsonl, DIR/drafts/, the summary.

Every text it writes and every setting it uses is data in data/triage/.
"""
