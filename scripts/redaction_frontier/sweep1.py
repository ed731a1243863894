import os
import merge2 as M2
from harness import *
from dataclasses import replace
import numpy as np
M2.P.update(fg=0.1, merge=False)
def run3(subject, cfg, det='cn'):
    r=M2.R2(cfg, depth); t=CoverageTally(subject)
    for f in range(1,401):
        rows=byf[f]; d=DETS[det][f]; M2.CUR['fg']=M2.fg[det][f]
        keep=keep_for_frame(d,rows,subject)
        t.add(f, rows, redacted_mask((576,768), r.regions(d,keep)))
    s=t.scores(); return s.coverage, s.subject_visible
import sys, json
for kw in json.loads(sys.argv[1]):
    cfg=replace(er.DEFAULT_CONFIG,**kw)
    res=[run3(s,cfg) for s in SUBJ]
    print(kw, ' '.join(f"{s}:{c:.4f}/{v:.3f}" for s,(c,v) in zip(SUBJ,res)), f"| min cov {min(c for c,v in res):.4f} mean vis {np.mean([v for c,v in res]):.3f}", flush=True)
