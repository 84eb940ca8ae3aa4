"""The application on top of every package: the factory, error pages, the home pages, the
command line and the demo data. Only this package may import all the others."""
