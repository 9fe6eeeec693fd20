print("never runs: the build fails")
