import os
from harness import *
import cv2, pickle
from epitrace.media import iter_frames, to_bgr
from epitrace.vision.types import Detections
from epitrace.privacy.carry import iou_matrix
from scipy.optimize import linear_sum_assignment
bg=np.load(os.environ.get('FRONTIER_DIR', '/tmp/frontier') + '/bg.npy')
FG={}
for i,fr in iter_frames(D+'/video/vtest.avi'):
    if i>=400: break
    lab=cv2.cvtColor(to_bgr(fr),cv2.COLOR_BGR2LAB).astype(np.int16)
    diff=np.abs(lab-bg); fg=((diff[...,0]>25)|(diff[...,1:].max(-1)>12)).astype(np.uint8)
    FG[i+1]=cv2.morphologyEx(fg,cv2.MORPH_OPEN,np.ones((3,3),np.uint8)).astype(bool)
pickle.dump(FG,open(os.environ.get('FRONTIER_DIR', '/tmp/frontier') + '/fgmasks.pkl','wb'))
