"""Time: the One-Euro filter, two-sided smoothing, the live stream mode and a recorded video's tracks.

Modules, lowest first: ``filters`` (the One-Euro filter), ``smoothing`` (two-sided, in time),
``stream_config`` (``StreamConfig``), ``arguments`` (the stream API's arguments checked),
``streams`` (``Streams``: many live streams batched),
``stream`` (``PoseStream``: one person, frame by frame), ``assignment`` (optimal assignment),
``tracker`` (``Tracker``: person ids across frames), ``crowd`` (``CrowdStream``: a live feed of
several people without ids), ``bridging`` (a joint's short gaps bridged along its track),
``tracks`` (a recorded video's tracks), ``skeleton_fit`` (one
skeleton per track), ``floor`` (the world frame: the floor under the feet).
"""
