"""Reports: plain-data context from an assessment, one Jinja template, HTML for the browser and PDF."""
