import RikerHTTP
