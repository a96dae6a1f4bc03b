"""Statistics and reporting: a pure core (data frames in, frozen results out) plus rendering."""
