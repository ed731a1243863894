import os
from harness import *
import pickle, sys
from epitrace.vision.types import Detections
from epitrace.privacy.carry import iou_matrix
from scipy.optimize import linear_sum_assignment
FG=pickle.load(open(os.environ.get('FRONTIER_DIR', '/tmp/frontier') + '/fgmasks.pkl','rb'))
def refine_box(b, fg, lim=0.25, rowfrac=0.15, colfrac=0.1, edges='tlr'):
    x1,y1,x2,y2=b; w=x2-x1; h=y2-y1
    ex1=int(max(0,np.floor(x1-lim*w))); ex2=int(min(768,np.ceil(x2+lim*w)))
    ey1=int(max(0,np.floor(y1-lim*w))); ey2=int(min(576,np.ceil(y2)))
    sub=fg[ey1:ey2, ex1:ex2]
    if sub.size==0 or sub.mean()<0.05: return b
    # vertical extent using the central columns of the det box
    cx1=int(max(0,x1+0.25*w))-ex1; cx2=int(min(768,x2-0.25*w))-ex1
    rows=sub[:, max(cx1,0):max(cx2,cx1+1)].sum(1)
    thr=max(1, rowfrac*(cx2-cx1))
    r=np.flatnonzero(rows>=thr)
    ny1=y1
    if len(r) and 't' in edges: ny1=ey1+r[0]
    # horizontal extent using rows of the det box (upper 60%)
    ry1=int(max(ny1,0))-ey1; ry2=int(ny1+0.6*h)-ey1
    cols=sub[max(ry1,0):max(ry2,ry1+1),:].sum(0)
    c=np.flatnonzero(cols>=max(1,colfrac*(ry2-ry1)))
    nx1,nx2=x1,x2
    if len(c):
        # contiguous run containing the det centre
        centre=int((x1+x2)/2)-ex1
        runs=np.split(c, np.flatnonzero(np.diff(c)>2)+1)
        run=min(runs,key=lambda rr: 0 if rr[0]<=centre<=rr[-1] else min(abs(rr[0]-centre),abs(rr[-1]-centre)))
        if 'l' in edges: nx1=ex1+run[0]
        if 'r' in edges: nx2=ex1+run[-1]+1
    nb=np.array([nx1,ny1,nx2,y2],np.float32)
    # don't move any edge by more than lim*w
    nb=np.clip(nb, np.array(b)-lim*w, np.array(b)+lim*w)
    return nb.astype(np.float32)
def refined(name, **kw):
    out={}
    for f in range(1,401):
        d=DETS[name][f]
        if not len(d): out[f]=d; continue
        out[f]=Detections(xyxy=np.stack([refine_box(b,FG[f],**kw) for b in d.xyxy]).astype(np.float32),confidence=d.confidence)
    return out
def errors(dets):
    rows=[]
    for f,g in gt.groupby('frame'):
        d=dets.get(int(f))
        if d is None or not len(d): continue
        k=d.confidence>=0.3; b=d.xyxy[k]
        if not len(b): continue
        G=g[['x','y','w','h']].to_numpy(np.float32); Gb=np.c_[G[:,:2],G[:,:2]+G[:,2:]]
        iou=iou_matrix(Gb,b); r,c=linear_sum_assignment(-iou)
        for i,j in zip(r,c):
            if iou[i,j]<0.5: continue
            w=G[i,2]; rows.append(((b[j,1]-Gb[i,1])/w, (b[j,0]-Gb[i,0])/w, (b[j,2]-Gb[i,2])/w))
    e=np.array(rows); return f"n={len(e)} top sd {e[:,0].std():.3f} mean {e[:,0].mean():+.3f} | left sd {e[:,1].std():.3f} mean {e[:,1].mean():+.3f} | right sd {e[:,2].std():.3f} mean {e[:,2].mean():+.3f}"
if __name__=='__main__':
    print('cn raw', errors(DETS['cn']))
    for kw in [dict(), dict(edges='t'), dict(lim=0.15)]:
        DETS['r']=refined('cn',**kw); print('cn refined',kw, errors(DETS['r']))
        table(f'refined {kw}', det='r')
