"""The case (案件): the shared file of one claim or one placement, and what every case kind shares."""
