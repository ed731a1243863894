import os
import pickle, numpy as np, pandas as pd, sys
from dataclasses import replace
from epitrace.evaluation.mot import load_mot
from epitrace.evaluation.redaction import keep_for_frame, CoverageTally, redacted_mask
from epitrace.privacy import export_redaction as er
from epitrace.privacy.depth import DepthOrder
from epitrace.geometry import build_calibration
D='../shared/data/pets2009_s2l1'
gt=load_mot(D+'/PETS2009-S2L1_gt_mot_768x576_frames0001-0400.txt',(1,400))
byf={int(f):g for f,g in gt.groupby('frame')}
cal={"type":"homography","matrix":np.loadtxt(D+'/H_image768_to_world_m.txt').tolist()}
depth=DepthOrder(build_calibration(cal),(768,576))
DETS={k:pickle.load(open(os.environ.get('FRONTIER_DIR', '/tmp/frontier') + f'/det_{k}.pkl','rb')) for k in ('cn','nd')}
def run(subject, cls=er.ExportRedactor, config=er.DEFAULT_CONFIG, det='cn'):
    r=cls(config, depth); t=CoverageTally(subject); dets=DETS[det]
    for f in range(1,401):
        rows=byf.get(f, gt.iloc[:0]); d=dets[f]
        keep=keep_for_frame(d,rows,subject)
        t.add(f, rows, redacted_mask((576,768), r.regions(d,keep)))
    s=t.scores(); return s.coverage, s.subject_visible
SUBJ=[9,1,12,15,16,19]
def table(label, **kw):
    res=[run(s, **kw) for s in SUBJ]
    print(f"{label:30s}", ' '.join(f"{s}:{c:.4f}/{v:.3f}" for s,(c,v) in zip(SUBJ,res)), f"| min cov {min(c for c,v in res):.4f} mean vis {np.mean([v for c,v in res]):.3f}", flush=True)
    return res
if __name__=='__main__':
    table('baseline')
