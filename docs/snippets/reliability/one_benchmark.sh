.venv/bin/python bench/pipeline_throughput.py --jobs 300
.venv/bin/python bench/inflight_capacity.py --jobs 500 --latency 10
.venv/bin/python bench/result_memory.py --mb 20
.venv/bin/python bench/status_endpoint.py --seconds 8 --clients 50
.venv/bin/python bench/admin_generate.py
.venv/bin/python bench/admin_changelist.py --jobs 10000
