"""Chart aggregates over plain arrays (pure numpy): what the chart pages draw."""
