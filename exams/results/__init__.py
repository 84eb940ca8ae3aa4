"""An exam's results and statistics, and a class's scores sheet."""
