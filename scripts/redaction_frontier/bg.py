import os
from harness import *
import cv2
from epitrace.media import iter_frames, to_bgr
frames={}
for i,fr in iter_frames(D+'/video/vtest.avi'):
    if i>=400: break
    frames[i+1]=cv2.cvtColor(to_bgr(fr),cv2.COLOR_BGR2LAB)
stack=np.stack([frames[f] for f in range(1,401,4)])
bg=np.median(stack,axis=0).astype(np.int16)
np.save(os.environ.get('FRONTIER_DIR', '/tmp/frontier') + '/bg.npy',bg)
cv2.imwrite(os.environ.get('FRONTIER_DIR', '/tmp/frontier') + '/bg.png',cv2.cvtColor(bg.astype(np.uint8),cv2.COLOR_LAB2BGR))
fgfrac={}
for name in ['cn','nd']:
    out={}
    for f in range(1,401):
        diff=np.abs(frames[f].astype(np.int16)-bg); fg=((diff[...,0]>25)|(np.abs(diff[...,1:]).max(-1)>12)).astype(np.uint8)
        fg=cv2.morphologyEx(fg,cv2.MORPH_OPEN,np.ones((3,3),np.uint8))
        d=DETS[name][f]; fr_=[]
        for x1,y1,x2,y2 in d.xyxy:
            a,b,c,e=max(int(x1),0),max(int(y1),0),min(int(x2),768),min(int(y2),576)
            fr_.append(fg[b:e,a:c].mean() if c>a and e>b else 0)
        out[f]=np.array(fr_)
    fgfrac[name]=out
import pickle; pickle.dump(fgfrac,open(os.environ.get('FRONTIER_DIR', '/tmp/frontier') + '/fgfrac.pkl','wb'))
# distribution for GT-matched vs unmatched boxes
from epitrace.privacy.carry import iou_matrix
for name in ['cn']:
    m=[];u=[]
    for f in range(1,401):
        g=byf[f][['x','y','w','h']].to_numpy(np.float32); gb=np.c_[g[:,:2],g[:,:2]+g[:,2:]]
        d=DETS[name][f]
        if not len(d): continue
        iou=iou_matrix(d.xyxy,gb).max(1)
        for v,ff in zip(iou,fgfrac[name][f]): (m if v>=0.3 else u).append(ff)
    print(name,'matched fg frac percentiles',np.percentile(m,[1,2,5,10,50]).round(3),len(m))
    print(name,'unmatched fg frac percentiles',np.percentile(u,[10,50,90]).round(3),len(u), 'share<0.1',np.mean(np.array(u)<0.1))
