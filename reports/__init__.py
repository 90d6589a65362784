"""Reports built from stored results only: Excel workbooks, plots and paper tables."""
