import os
from harness import *
from epitrace.vision.types import Detections
rng=np.random.default_rng(0)
def noisy(sig):
    out={}
    for f in range(1,401):
        g=byf[f][['x','y','w','h']].to_numpy(np.float32); b=np.c_[g[:,:2],g[:,:2]+g[:,2:]]
        b=b+rng.normal(0,sig,b.shape).astype(np.float32)*g[:,2:3]
        out[f]=Detections(xyxy=b.astype(np.float32),confidence=np.ones(len(b),np.float32))
    return out
for s in [0,0.05,0.1,0.13]:
    DETS[f'n{s}']=noisy(s); table(f'gt+noise {s}',det=f'n{s}')
