import sys, json
import numpy as np
from pathlib import Path
from epitrace.privacy import export_redaction as er
from epitrace.privacy.export_redaction import _keep_array, _NONE, _grow, Regions, export_head_boxes, box_iou
from epitrace.config import get_settings
from epitrace.evaluation.redaction_export import export_redaction_coverage
from epitrace.models import model_path
from epitrace.vision.persons import PersonDetector
V=json.loads(sys.argv[1])
orig=er.ExportRedactor.regions
def regions(self, detections, keep_box=None, always=None, faces=None):
    cfg=self.config
    boxes,scores=er._scored_boxes(detections,cfg.score_threshold)
    others=self.person_boxes(detections, keep_box); keep=_keep_array(keep_box)
    own=self.is_subject(boxes,keep_box); sc=scores[~own]
    cur=others[:self._current]
    ok=sc>=V['min_score']
    if 'explained' in V:
        ref=np.concatenate([np.asarray(always,np.float32).reshape(-1,4) if always is not None else _NONE, keep]).reshape(-1,4)
        if len(ref) and len(cur):
            ok&=box_iou(cur,ref).max(axis=1)<V['explained']
    coverers=np.concatenate([cur[ok], others[self._current:][self.carried_coverers(keep)] if V['carried'] else _NONE])
    if always is not None:
        a=np.asarray(always,np.float32).reshape(-1,4)
        others=np.concatenate([others,a]); coverers=np.concatenate([coverers,a])
    clear=self.clear_regions(keep_box)
    face_boxes=np.asarray(faces if faces is not None else _NONE,np.float32).reshape(-1,4)
    own_f=self.subject_faces(face_boxes,keep_box) if len(keep) else np.zeros(len(face_boxes),bool)
    cover,unveil,hide=_NONE,_NONE,_grow(face_boxes[~own_f],cfg.face_margin)
    if len(clear) and len(coverers):
        cores=self.head_cores(coverers); touches=box_iou(cores,clear)>0
        front=self.depth.in_front(coverers,keep,cfg.front_margin)
        hide=np.concatenate([cores[(touches&front).any(axis=1)],hide]); cover=cores[(touches&~front).any(axis=1)]
    unveil=_grow(face_boxes[own_f],cfg.face_margin)
    if len(cover) and cfg.unveil_share>0: unveil=np.concatenate([self.own_heads(keep),unveil])
    return Regions(export_head_boxes(others,cfg),clear,cover,unveil,hide)
if V: er.ExportRedactor.regions=regions
D=Path('../shared/data/pets2009_s2l1')
s=get_settings()
det=PersonDetector(model_path("person_centernet", s.models_dir), input_size=640, score_threshold=0.1)
cal={"type":"homography","matrix":np.loadtxt(D/'H_image768_to_world_m.txt').tolist()}
for subj in V.get('subjects',[9]) if V else [9]:
    r=export_redaction_coverage(D/'video/vtest.avi', D/'PETS2009-S2L1_gt_mot_768x576_frames0001-0400.txt', s, (1,400), subj, 7.0, det, er.DEFAULT_CONFIG, calibration=cal)
    print(sys.argv[1], subj, round(r.scores.coverage,4), round(r.scores.subject_visible,4), r.subject_tracks, r.scores.missed[:40], flush=True)
