"""The coordinators' command line: parse, call the application, render."""
