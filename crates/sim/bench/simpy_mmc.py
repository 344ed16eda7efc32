"""The M/M/c model of crates/sim/examples/bench.rs, written for SimPy.

Same parameters: 8 servers, exponential service with mean 1 ms, Poisson arrivals at
6400/s (utilisation 0.8). Prints customers served per wall-clock second, the median
of several repetitions, and a `RESULT simpy <rate>` line for run.sh.

Usage: simpy_mmc.py [repetitions] [first seed]
"""

import random
import statistics
import sys
import time

import simpy

SERVERS = 8
SERVICE_MS = 1.0
RATE_PER_S = 6400.0
SIM_SECONDS = 30.0


def customer(env, servers, rng, done):
    with servers.request() as req:
        yield req
        yield env.timeout(rng.expovariate(1000.0 / SERVICE_MS))
    done[0] += 1


def arrivals(env, servers, rng, done):
    while True:
        yield env.timeout(rng.expovariate(RATE_PER_S))
        env.process(customer(env, servers, rng, done))


def run_once(seed):
    rng = random.Random(seed)
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=SERVERS)
    done = [0]
    env.process(arrivals(env, servers, rng, done))
    start = time.perf_counter()
    env.run(until=SIM_SECONDS)
    return done[0], time.perf_counter() - start


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    first_seed = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    rates = []
    served = 0
    for i in range(reps):
        served, secs = run_once(first_seed + i)
        rates.append(served / secs)
    rate = statistics.median(rates)
    print(f"simpy mmc: {served} customers; median {rate:.0f} customers/s over {reps} runs")
    print(f"RESULT simpy {rate:.0f}")


if __name__ == "__main__":
    main()
