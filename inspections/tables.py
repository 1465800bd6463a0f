"""The assessment side's tables: indicator systems, rounds, checklists, rankings."""
