import os
from harness import *
import pickle, sys, json
from epitrace.privacy.export_redaction import _keep_array, _NONE, Regions, export_head_boxes, box_iou
FG=pickle.load(open(os.environ.get('FRONTIER_DIR', '/tmp/frontier') + '/fgmasks.pkl','rb'))
CUR={}
P=dict(valley=0.25, margin=0.0, mode='both')
def clip_cores(cores, owners, keep, fg):
    """clip each core's side facing the subject at the foreground valley between the heads"""
    out=cores.copy()
    k=keep[0]; kc=(k[0]+k[2])/2
    for i,(c,o) in enumerate(zip(cores,owners)):
        oc=(o[0]+o[2])/2
        y1=int(max(0,min(c[1],k[1]))); y2=int(min(576,max(c[3], k[1]+0.25*(k[3]-k[1]))))
        a,b=sorted([int(kc),int(oc)])
        if b-a<3 or y2<=y1: continue
        prof=fg[y1:y2,a:b].mean(0)
        j=int(np.argmin(prof)); 
        if prof[j]>P['valley']: continue
        x=a+j
        if oc>kc:   # bystander on the right: its core's left edge moves right to the valley
            out[i,0]=max(c[0], x - P['margin']*(o[2]-o[0]))
        else:
            out[i,2]=min(c[2], x+1 + P['margin']*(o[2]-o[0]))
    return out
class RV(er.ExportRedactor):
    def regions(self, detections, keep_box=None, always=None, faces=None):
        cfg=self.config
        others=self.person_boxes(detections, keep_box); keep=_keep_array(keep_box)
        coverers=np.concatenate([others[:self._current], others[self._current:][self.carried_coverers(keep)]])
        clear=self.clear_regions(keep_box); cover,unveil,hide=_NONE,_NONE,_NONE
        if len(clear) and len(coverers):
            cores=self.head_cores(coverers); touches=(box_iou(cores,clear)>0).any(axis=1)
            front=self.depth.in_front(coverers,keep,cfg.front_margin).any(axis=1)
            cl=cores.copy()
            if touches.any():
                cl[touches]=clip_cores(cores[touches],coverers[touches],keep,CUR['fg'])
            sel_h = P['mode'] in ('both','front'); sel_c = P['mode'] in ('both','behind')
            hide=np.where(np.repeat((front&sel_h)[:,None],4,1),cl,cores)[touches&front]
            cover=np.where(np.repeat((~front&sel_c)[:,None],4,1),cl,cores)[touches&~front]
        if len(cover) and cfg.unveil_share>0: unveil=self.own_heads(keep)
        return Regions(export_head_boxes(others,cfg),clear,cover,unveil,hide)
def runv(subject, det='cn'):
    r=RV(er.DEFAULT_CONFIG, depth); t=CoverageTally(subject)
    for f in range(1,401):
        rows=byf[f]; d=DETS[det][f]; CUR['fg']=FG[f]
        keep=keep_for_frame(d,rows,subject)
        t.add(f, rows, redacted_mask((576,768), r.regions(d,keep)))
    s=t.scores(); return s.coverage, s.subject_visible
for p in json.loads(sys.argv[1]):
    P.update(p)
    res=[runv(s) for s in SUBJ]
    print(p, ' '.join(f"{s}:{c:.4f}/{v:.3f}" for s,(c,v) in zip(SUBJ,res)), f"| min cov {min(c for c,v in res):.4f} mean vis {np.mean([v for c,v in res]):.3f}", flush=True)
