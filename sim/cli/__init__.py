"""The command line: parse, call the layers below, print. The only layer that imports all."""
