"""Charts of the dose data: aggregated on the server, drawn in the browser with Plotly."""
