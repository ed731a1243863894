import os
from harness import *
from epitrace.privacy.carry import iou_matrix
from epitrace.vision.types import Detections
from scipy.optimize import linear_sum_assignment
def fuse(a,b,thr=0.5):
    out={}
    for f in a:
        A,B=a[f],b.get(f)
        if B is None or not len(B) or not len(A): out[f]=A; continue
        iou=iou_matrix(A.xyxy,B.xyxy); r,c=linear_sum_assignment(-iou)
        xy=A.xyxy.copy(); conf=A.confidence.copy(); used=set()
        for i,j in zip(r,c):
            if iou[i,j]<thr: continue
            wa,wb=A.confidence[i],B.confidence[j]
            xy[i]=(wa*A.xyxy[i]+wb*B.xyxy[j])/(wa+wb); conf[i]=max(wa,wb); used.add(j)
        rest=[j for j in range(len(B)) if j not in used]
        out[f]=Detections(xyxy=np.concatenate([xy,B.xyxy[rest]]).astype(np.float32),confidence=np.concatenate([conf,B.confidence[rest]]).astype(np.float32))
    return out
DETS['fu']=fuse(DETS['cn'],DETS['nd'])
table('cn')
table('nd',det='nd')
table('fused',det='fu')
