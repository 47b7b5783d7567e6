
tiny1

lower.onnx*„{"bgr":false,"center_crop":true,"dtype":"float32","height":8,"input_name":"input","layout":"NCHW","mean":[0.48500001430511475,0.4560000002384186,0.4059999883174896],"resize_shorter":9,"std":[0.2290000021457672,0.2240000069141388,0.22499999403953552],"width":8}bP@ME