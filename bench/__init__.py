"""Benchmarks (`make bench`): each module measures one area and returns its figures with their goals."""
