make demo
