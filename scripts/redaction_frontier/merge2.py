import os
from harness import *
import pickle
from epitrace.vision.types import Detections
from epitrace.privacy.export_redaction import _keep_array, _NONE, Regions, export_head_boxes, box_iou
import merge as M
fg=pickle.load(open(os.environ.get('FRONTIER_DIR', '/tmp/frontier') + '/fgfrac.pkl','rb'))
CUR={}
class R2(er.ExportRedactor):
    """coverer filter: merge rule + background rule (never drops the normal mosaic)"""
    frame=0
    def regions(self, detections, keep_box=None, always=None, faces=None):
        cfg=self.config
        boxes,scores=er._scored_boxes(detections,cfg.score_threshold)
        fgf=CUR['fg'][detections.confidence>=cfg.score_threshold] if len(detections) else np.zeros(0)
        others=self.person_boxes(detections, keep_box)
        keep=_keep_array(keep_box)
        own=self.is_subject(boxes,keep_box); sc=scores[~own]; ff=fgf[~own]
        cur=others[:self._current]
        ok=ff>=P['fg']
        if len(keep) and P['merge']:
            for i in range(len(cur)):
                if sc[i]>=0.5 or not ok[i]: continue
                stronger=[cur[j] for j in range(len(cur)) if j!=i and sc[j]>sc[i]]+list(keep)
                if M.union_share(cur[i],stronger)>=0.7: ok[i]=False
        coverers=np.concatenate([cur[ok], others[self._current:][self.carried_coverers(keep)]])
        clear=self.clear_regions(keep_box)
        cover,unveil,hide=_NONE,_NONE,_NONE
        if len(clear) and len(coverers):
            cores=self.head_cores(coverers); touches=box_iou(cores,clear)>0
            front=self.depth.in_front(coverers,keep,cfg.front_margin)
            hide=cores[(touches&front).any(axis=1)]; cover=cores[(touches&~front).any(axis=1)]
        if len(cover) and cfg.unveil_share>0: unveil=self.own_heads(keep)
        return Regions(export_head_boxes(others,cfg),clear,cover,unveil,hide)
P={'fg':0.1,'merge':True}
def run2(subject, det='cn'):
    r=R2(er.DEFAULT_CONFIG, depth); t=CoverageTally(subject)
    for f in range(1,401):
        rows=byf[f]; d=DETS[det][f]; CUR['fg']=fg[det][f]
        keep=keep_for_frame(d,rows,subject)
        t.add(f, rows, redacted_mask((576,768), r.regions(d,keep)))
    s=t.scores(); return s.coverage, s.subject_visible
import harness
for fgt in [0.0,0.1,0.15]:
    for mg in [False,True]:
        P.update(fg=fgt,merge=mg)
        for det in ['cn','nd']:
            res=[run2(s,det) for s in SUBJ]
            print(f"{det} fg{fgt} merge{mg}", ' '.join(f"{s}:{c:.4f}/{v:.3f}" for s,(c,v) in zip(SUBJ,res)), f"| min cov {min(c for c,v in res):.4f} mean vis {np.mean([v for c,v in res]):.3f}", flush=True)
