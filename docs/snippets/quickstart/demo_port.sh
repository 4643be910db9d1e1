PORT=8765 make demo
