"""Searches for a 2D FFD-by-sum instance that needs TARGET bins when OPT bins suffice.

An exact MILP (the shape of MetaOpt's bin-packing study): item sizes are variables,
FFD's placements are encoded step by step (items are processed in index order, sums
non-increasing, so ties keep input order as in `domains/binpack.rs`), and a second
assignment packs the same items into OPT bins. Feasible means FFD needs TARGET bins.

    python3 -m venv /tmp/milp && /tmp/milp/bin/pip install pulp
    /tmp/milp/bin/python crates/hunt/bench/ffd2d_milp.py 1 9 3 6 0.01 0.99 1700

Arguments: capacity, items, OPT, TARGET, smallest size, largest size, time limit (s).
The instance in `tests/ground_truth.rs` (ratio 2, bins of 1000) came from this
command, sizes scaled by 1000 and checked there with the crate's own FFD and exact
solver. "Not Solved" means the time limit passed, not that no instance exists.
"""
import pulp, sys
C=int(sys.argv[1]); N=int(sys.argv[2]); OPT=int(sys.argv[3]); TARGET=int(sys.argv[4]); SMIN=float(sys.argv[5]) if len(sys.argv)>5 else 1
SMAX=C-1 if len(sys.argv)<=6 else float(sys.argv[6])
D=2; K=TARGET; EPS=0.01*C
p=pulp.LpProblem("ffd",pulp.LpMinimize)
s=[[pulp.LpVariable(f"s{i}_{d}",SMIN,SMAX,cat="Continuous") for d in range(D)] for i in range(N)]
# FFD order = index order: sums non-increasing
for i in range(N-1):
    p+= pulp.lpSum(s[i]) >= pulp.lpSum(s[i+1])
# OPT packing into OPT bins
z=[[pulp.LpVariable(f"z{i}_{b}",cat="Binary") for b in range(OPT)] for i in range(N)]
for i in range(N): p+= pulp.lpSum(z[i])==1
for b in range(OPT):
    for d in range(D):
        w=[pulp.LpVariable(f"w{i}_{b}_{d}",0,C) for i in range(N)]
        for i in range(N):
            p+= w[i] >= s[i][d] - C*(1-z[i][b])
        p+= pulp.lpSum(w) <= C
# FFD simulation
x=[[pulp.LpVariable(f"x{i}_{k}",cat="Binary") for k in range(K)] for i in range(N)]
for i in range(N): p+= pulp.lpSum(x[i])==1
# v[j][k][d] = x[j][k]*s[j][d]
v=[[[pulp.LpVariable(f"v{j}_{k}_{d}",0,C) for d in range(D)] for k in range(K)] for j in range(N)]
for j in range(N):
    for k in range(K):
        for d in range(D):
            p+= v[j][k][d] <= C*x[j][k]
            p+= v[j][k][d] <= s[j][d]
            p+= v[j][k][d] >= s[j][d] - C*(1-x[j][k])
M=3*C
for i in range(N):
    fits=[pulp.LpVariable(f"f{i}_{k}",cat="Binary") for k in range(K)]
    for k in range(K):
        for d in range(D):
            L=pulp.lpSum(v[j][k][d] for j in range(i))
            p+= L + s[i][d] <= C + M*(1-fits[k])
        o=[pulp.LpVariable(f"o{i}_{k}_{d}",cat="Binary") for d in range(D)]
        for d in range(D):
            L=pulp.lpSum(v[j][k][d] for j in range(i))
            p+= L + s[i][d] >= C + EPS - M*(1-o[d])
        p+= o[0]+o[1] >= 1 - fits[k]
        p+= x[i][k] <= fits[k]
        for kk in range(k):
            p+= x[i][k] <= 1 - fits[kk]
# last bin used
p+= pulp.lpSum(x[i][K-1] for i in range(N)) >= 1
p+= pulp.lpSum(s[i][0] for i in range(N))  # arbitrary objective
st=p.solve(pulp.PULP_CBC_CMD(msg=0, timeLimit=int(sys.argv[7]) if len(sys.argv)>7 else 600))
print(pulp.LpStatus[st])
if pulp.LpStatus[st]=="Optimal":
    items=[(round(s[i][0].value(),4),round(s[i][1].value(),4)) for i in range(N)]
    print(items)
    print("opt bins", [[i for i in range(N) if z[i][b].value()>0.5] for b in range(OPT)])
    print("ffd bins", [[i for i in range(N) if x[i][k].value()>0.5] for k in range(K)])
