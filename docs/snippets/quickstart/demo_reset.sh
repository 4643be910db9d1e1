make demo-reset
