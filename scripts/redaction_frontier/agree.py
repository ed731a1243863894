import os
import merge2 as M2
from harness import *
from epitrace.privacy.export_redaction import _keep_array, _NONE, Regions, export_head_boxes, box_iou
import numpy as np
CUR={}
class R3(er.ExportRedactor):
    def regions(self, detections, keep_box=None, always=None, faces=None):
        cfg=self.config
        boxes,scores=er._scored_boxes(detections,cfg.score_threshold)
        others=self.person_boxes(detections, keep_box); keep=_keep_array(keep_box)
        own=self.is_subject(boxes,keep_box); sc=scores[~own]; cur=others[:self._current]
        alt=CUR['alt']; alt=alt.xyxy[alt.confidence>=Q['altthr']]
        agree=(box_iou(cur,alt).max(axis=1)>=Q['iou']) if len(alt) and len(cur) else np.zeros(len(cur),bool)
        ok=(sc>=Q['strong'])|agree
        coverers=np.concatenate([cur[ok], others[self._current:][self.carried_coverers(keep)]])
        clear=self.clear_regions(keep_box); cover,unveil,hide=_NONE,_NONE,_NONE
        if len(clear) and len(coverers):
            cores=self.head_cores(coverers); touches=box_iou(cores,clear)>0
            front=self.depth.in_front(coverers,keep,cfg.front_margin)
            hide=cores[(touches&front).any(axis=1)]; cover=cores[(touches&~front).any(axis=1)]
        if len(cover) and cfg.unveil_share>0: unveil=self.own_heads(keep)
        return Regions(export_head_boxes(others,cfg),clear,cover,unveil,hide)
Q={}
def run4(subject, det, alt):
    r=R3(er.DEFAULT_CONFIG, depth); t=CoverageTally(subject)
    for f in range(1,401):
        rows=byf[f]; d=DETS[det][f]; CUR['alt']=DETS[alt][f]
        keep=keep_for_frame(d,rows,subject)
        t.add(f, rows, redacted_mask((576,768), r.regions(d,keep)))
    s=t.scores(); return s.coverage, s.subject_visible
for q in [dict(strong=1.1,iou=0.0,altthr=0.0),dict(strong=0.5,iou=0.5,altthr=0.1),dict(strong=0.4,iou=0.5,altthr=0.1),dict(strong=0.5,iou=0.4,altthr=0.1),dict(strong=0.5,iou=0.5,altthr=0.2)]:
    Q.update(q)
    for det,alt in [('cn','nd'),('nd','cn')]:
        res=[run4(s,det,alt) for s in SUBJ]
        print(det,q, ' '.join(f"{s}:{c:.4f}/{v:.3f}" for s,(c,v) in zip(SUBJ,res)), f"| min cov {min(c for c,v in res):.4f} mean vis {np.mean([v for c,v in res]):.3f}", flush=True)
