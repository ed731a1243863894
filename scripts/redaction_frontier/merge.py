import os
from harness import *
import pickle
from epitrace.vision.types import Detections
from epitrace.privacy.export_redaction import _keep_array, _NONE, _grow, Regions, export_head_boxes, box_iou
fg=pickle.load(open(os.environ.get('FRONTIER_DIR', '/tmp/frontier') + '/fgfrac.pkl','rb'))
def union_share(b, others):
    x1,y1,x2,y2=[int(round(v)) for v in b]; w,h=max(x2-x1,1),max(y2-y1,1)
    m=np.zeros((h,w),bool)
    for o in others:
        a=int(round(o[0]))-x1; c=int(round(o[2]))-x1; t=int(round(o[1]))-y1; e=int(round(o[3]))-y1
        m[max(t,0):max(min(e,h),0), max(a,0):max(min(c,w),0)]=True
    return m.mean()
P=dict(maxscore=0.5, share=0.8)
class R(er.ExportRedactor):
    def regions(self, detections, keep_box=None, always=None, faces=None):
        cfg=self.config
        others=self.person_boxes(detections, keep_box)
        keep=_keep_array(keep_box)
        cur=others[:self._current]
        # scores of current others
        boxes,scores=er._scored_boxes(detections,cfg.score_threshold)
        own=self.is_subject(boxes,keep_box); sc=scores[~own]
        ok=np.ones(len(cur),bool)
        if len(keep):
            for i in range(len(cur)):
                if sc[i]>=P['maxscore']: continue
                stronger=[cur[j] for j in range(len(cur)) if j!=i and sc[j]>sc[i]]+list(keep)
                if union_share(cur[i],stronger)>=P['share']: ok[i]=False
        coverers=np.concatenate([cur[ok], others[self._current:][self.carried_coverers(keep)]])
        clear=self.clear_regions(keep_box)
        cover,unveil,hide=_NONE,_NONE,_NONE
        if cfg.bystander_priority and len(clear) and len(coverers):
            cores=self.head_cores(coverers)
            touches=box_iou(cores,clear)>0
            front=self.depth.in_front(coverers,keep,cfg.front_margin)
            hide=cores[(touches&front).any(axis=1)]
            cover=cores[(touches&~front).any(axis=1)]
        if len(cover) and cfg.unveil_share>0: unveil=self.own_heads(keep)
        return Regions(export_head_boxes(others,cfg),clear,cover,unveil,hide)
thr=0.1
out={}
for f in range(1,401):
    d=DETS['cn'][f]; k=fg['cn'][f]>=thr
    out[f]=Detections(xyxy=d.xyxy[k],confidence=d.confidence[k]) if len(d) else d
DETS['cnbg']=out
table('R identity check (maxscore 0)',cls=R) if (P.update(maxscore=0.0) or True) else None
for ms in [0.3,0.5]:
    for sh in [0.7,0.8,0.9]:
        P.update(maxscore=ms,share=sh)
        table(f'merge ms{ms} sh{sh}',cls=R)
        table(f'merge+bg ms{ms} sh{sh}',cls=R,det='cnbg')
