"""View models without Textual: the live view of the store, summaries for the panels, and
what the policy panel shows. The UI renders them; tests drive them directly."""
